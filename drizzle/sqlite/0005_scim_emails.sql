CREATE TABLE `scim_emails` (
	`group_id` text NOT NULL,
	`value_key` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`group_id`, `value_key`, `user_id`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
