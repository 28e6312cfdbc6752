CREATE TABLE `checkpoints` (
	`run_id` text NOT NULL,
	`iteration` integer NOT NULL,
	`step` integer NOT NULL,
	`path` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `iteration`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `iterations` (
	`run_id` text NOT NULL,
	`iteration` integer NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	`sampler_state` text,
	`learner_step` integer,
	`learner_state` text,
	`metrics` text NOT NULL,
	PRIMARY KEY(`run_id`, `iteration`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `metrics` (
	`run_id` text NOT NULL,
	`iteration` integer NOT NULL,
	`name` text NOT NULL,
	`value` real NOT NULL,
	PRIMARY KEY(`run_id`, `iteration`, `name`),
	FOREIGN KEY (`run_id`,`iteration`) REFERENCES `iterations`(`run_id`,`iteration`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `rollouts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` integer NOT NULL,
	`sample` integer NOT NULL,
	`text` text NOT NULL,
	`extracted` text,
	`correct` integer NOT NULL,
	`reward` real NOT NULL,
	`advantage` real NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rollouts_task_sample` ON `rollouts` (`task_id`,`sample`);--> statement-breakpoint
CREATE TABLE `segments_used` (
	`run_id` text NOT NULL,
	`iteration` integer NOT NULL,
	`slot` integer NOT NULL,
	`doc_id` text,
	`attempts` integer NOT NULL,
	`skipped` integer NOT NULL,
	PRIMARY KEY(`run_id`, `iteration`, `slot`),
	FOREIGN KEY (`run_id`,`iteration`) REFERENCES `iterations`(`run_id`,`iteration`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`iteration` integer NOT NULL,
	`slot` integer NOT NULL,
	`sample` integer NOT NULL,
	`raw` text NOT NULL,
	`parsed` text,
	`valid` integer NOT NULL,
	`reason` text,
	`task_type` text,
	`answer_type` text,
	`pass_rate` real,
	`reward` real NOT NULL,
	`advantage` real NOT NULL,
	FOREIGN KEY (`run_id`,`iteration`) REFERENCES `iterations`(`run_id`,`iteration`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_slot_sample` ON `tasks` (`run_id`,`iteration`,`slot`,`sample`);