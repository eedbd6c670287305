"""Where documents come from: files and folders, drop folders, polled feeds."""
