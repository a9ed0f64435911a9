// Every test here starts several servers as processes and breaks some of them; run side by side on
// a two-core machine they would starve each other, and a fault test must measure its own fault.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
