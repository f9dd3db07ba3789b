"""Staff accounts (admin, leader, analyst) and their sessions; respondents never have one."""
