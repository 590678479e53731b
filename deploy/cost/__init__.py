"""What each deployment shape costs a month (`make cost`): the price table, the shapes' bills, the report."""
