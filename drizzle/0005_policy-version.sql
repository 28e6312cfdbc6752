ALTER TABLE `rollouts` ADD `policy_version` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `policy_version` text;