CREATE TABLE `directory_group_members` (
	`directory_group_id` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`directory_group_id`, `user_id`),
	FOREIGN KEY (`directory_group_id`) REFERENCES `directory_groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `directory_group_members_user` ON `directory_group_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `directory_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`group_id` text NOT NULL,
	`display_name` text NOT NULL,
	`display_name_key` text NOT NULL,
	`external_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `directory_groups_display_name` ON `directory_groups` (`group_id`,`display_name_key`);--> statement-breakpoint
CREATE INDEX `directory_groups_external_id` ON `directory_groups` (`group_id`,`external_id`);--> statement-breakpoint
CREATE TABLE `scim_users` (
	`group_id` text NOT NULL,
	`user_id` text NOT NULL,
	`user_name` text NOT NULL,
	`user_name_key` text NOT NULL,
	`external_id` text,
	`emails` text DEFAULT '[]' NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `user_id`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scim_users_user_name` ON `scim_users` (`group_id`,`user_name_key`);--> statement-breakpoint
CREATE INDEX `scim_users_external_id` ON `scim_users` (`group_id`,`external_id`);--> statement-breakpoint
ALTER TABLE `groups` ADD `admin_directory_group_id` text;--> statement-breakpoint
ALTER TABLE `memberships` ADD `suspended_at` integer;