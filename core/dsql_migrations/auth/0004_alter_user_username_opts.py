from core.dsql_migrations import state_only

Migration = state_only("auth", "0004_alter_user_username_opts")
