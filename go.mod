module github.com/gosru/gosru

go 1.26
