CREATE TABLE `eval_results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`checkpoint` text NOT NULL,
	`dataset` text NOT NULL,
	`dataset_hash` text NOT NULL,
	`model` text NOT NULL,
	`n` integer NOT NULL,
	`k` integer NOT NULL,
	`temperature` real NOT NULL,
	`seed` integer NOT NULL,
	`avg_at_k` real NOT NULL,
	`pass_at_1` real NOT NULL,
	`pass_at_k` real NOT NULL,
	`groups` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `eval_results_checkpoint_dataset` ON `eval_results` (`checkpoint`,`dataset_hash`);