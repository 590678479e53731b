"""The self-service portal: developers sign in, manage their own keys and set up their coding tools."""
