CREATE TABLE "scim_emails" (
	"group_id" text NOT NULL,
	"value_key" text NOT NULL,
	"user_id" text NOT NULL,
	CONSTRAINT "scim_emails_pkey" PRIMARY KEY("group_id","value_key","user_id")
);
--> statement-breakpoint
ALTER TABLE "scim_emails" ADD CONSTRAINT "scim_emails_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scim_emails" ADD CONSTRAINT "scim_emails_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE no action ON UPDATE no action;