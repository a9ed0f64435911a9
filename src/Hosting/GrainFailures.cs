namespace ThrottleCluster.Hosting;

/// <summary>
/// Which failures of a grain call mean "no decision": every one but bad input and the caller going
/// away. A silo that died, a call that timed out, grain storage that failed or kept losing its
/// compare-and-set: all of them leave nothing persisted to send on, so the answer is 503.
/// </summary>
public static class GrainFailures
{
    public static bool Undecided(Exception error, CancellationToken requestAborted)
        => error is not ArgumentException && !(error is OperationCanceledException && requestAborted.IsCancellationRequested);
}
