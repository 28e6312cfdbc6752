CREATE TABLE `gym_assignments` (
	`run_id` text NOT NULL,
	`key` text NOT NULL,
	`task_id` integer NOT NULL,
	`reset` text NOT NULL,
	`stepped` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `key`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `gym_pool` (
	`task_id` integer PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`doc_id` text,
	`pass_rate` real NOT NULL,
	`policy_version` integer NOT NULL,
	`created_at` integer NOT NULL,
	`served` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `kind` text DEFAULT 'embedded' NOT NULL;