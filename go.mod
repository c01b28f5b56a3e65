module github.com/livetemplate/livetemplate

go 1.26
