package algorithms

import _ "embed"

var (
	//go:embed lua/clock.lua
	clockLua string
	//go:embed lua/fixed.lua
	fixedLua string
	//go:embed lua/sliding.lua
	slidingLua string
	//go:embed lua/sliding_counter.lua
	slidingCounterLua string
	//go:embed lua/token.lua
	tokenLua string
	//go:embed lua/leaky.lua
	leakyLua string
	//go:embed lua/gcra.lua
	gcraLua string
)
