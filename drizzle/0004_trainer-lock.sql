CREATE TABLE `trainer_lock` (
	`name` text PRIMARY KEY NOT NULL,
	`token` text NOT NULL,
	`pid` integer NOT NULL,
	`host` text NOT NULL,
	`boot_id` text,
	`start_time` text,
	`run_id` text,
	`acquired_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`command` text
);
