ALTER TABLE `api_tokens` ADD `created_through_api_token_id` text;--> statement-breakpoint
ALTER TABLE `groups` ADD `admin_sign_in_with_api_token` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `api_token_id` text REFERENCES api_tokens(id);--> statement-breakpoint
CREATE INDEX `sessions_api_token` ON `sessions` (`api_token_id`);