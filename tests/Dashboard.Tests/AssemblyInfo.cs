// The machine has two cores: a browser, an Api and the traffic it gets are enough at once.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
