ALTER TABLE "api_tokens" ADD COLUMN "created_through_api_token_id" text;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "admin_sign_in_with_api_token" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "api_token_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_api_token_id_api_tokens_id_fk" FOREIGN KEY ("api_token_id") REFERENCES "api_tokens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_api_token" ON "sessions" USING btree ("api_token_id");