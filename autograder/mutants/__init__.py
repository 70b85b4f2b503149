"""Wrong and alternative answers per lesson, used by mutation tests, the demo and the grader's synthetic class."""
