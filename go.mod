module github.com/openportal/portal

go 1.26
