package report

// JSON is the results file itself, as -o writes it (Encode).
var JSON = Format{
	Name:        "json",
	Description: "the results file itself, as -o writes it; one file (rlbench report merge joins several)",
	Render:      oneFile("json", Encode),
}
