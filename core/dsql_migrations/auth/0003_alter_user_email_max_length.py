from core.dsql_migrations import state_only

Migration = state_only("auth", "0003_alter_user_email_max_length")
