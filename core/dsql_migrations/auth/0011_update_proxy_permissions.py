from core.dsql_migrations import state_only

Migration = state_only("auth", "0011_update_proxy_permissions")
