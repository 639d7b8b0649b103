CREATE TABLE `idempotency_keys` (
	`group_id` text NOT NULL,
	`key` text NOT NULL,
	`field` text NOT NULL,
	`fingerprint` text NOT NULL,
	`outcome` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `key`, `field`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires` ON `idempotency_keys` (`expires_at`);