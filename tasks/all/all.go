// Package all links every task into a binary: importing it (blank) registers each task with
// experiments. A new task adds its import line here.
package all

import (
	_ "github.com/gosru/gosru/tasks/classification"
	_ "github.com/gosru/gosru/tasks/lm"
	_ "github.com/gosru/gosru/tasks/speech"
	_ "github.com/gosru/gosru/tasks/squad"
	_ "github.com/gosru/gosru/tasks/translation"
)
