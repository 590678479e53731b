from core.dsql_migrations import state_only

Migration = state_only("auth", "0005_alter_user_last_login_null")
