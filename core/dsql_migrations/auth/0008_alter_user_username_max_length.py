from core.dsql_migrations import state_only

Migration = state_only("auth", "0008_alter_user_username_max_length")
