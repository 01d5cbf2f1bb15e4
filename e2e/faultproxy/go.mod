module e2e/faultproxy

go 1.26
