module rouse.dev/bench/guard

go 1.26
