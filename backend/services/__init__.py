"""What the command line and the admin page both do, in one place each:
they differ only in how they ask and how they show the result."""
