namespace ThrottleCluster.Hosting;

/// <summary>
/// Which failures of a grain call mean "no decision": every one but bad input and the caller going
/// away. A silo that died, a call that timed out, grain storage that failed or kept losing its
/// compare-and-set: all of them leave nothing persisted to send on, so the answer is 503. What
/// failed goes to the log for operators, not to the caller.
/// </summary>
public static class GrainFailures
{
    public static bool Undecided(Exception error, CancellationToken requestAborted)
        => error is not ArgumentException && !(error is OperationCanceledException && requestAborted.IsCancellationRequested);

    /// <summary>Logs the failure and answers 503 saying <paramref name="what"/> could not be done.</summary>
    public static IResult Unavailable(HttpContext context, Exception error, string what)
    {
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GrainFailures))
            .LogWarning("{What}: {Error}: {Reason}", what, error.GetType().Name, error.Message);
        return Problems.Unavailable.With($"{what}: the cluster or its store did not answer in time. Try again later.");
    }
}
