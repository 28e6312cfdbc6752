CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`seed` integer NOT NULL,
	`config` text NOT NULL,
	`corpus_hash` text,
	`model_hash` text,
	`note` text
);
