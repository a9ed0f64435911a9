using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Outbox;

/// <summary>Body of <c>POST /v1/admin/outbox/dead/replay</c> and <c>/purge</c>: the job ids to act on, or all of them.</summary>
public sealed record DeadLetterSelection(IReadOnlyList<string>? Ids, bool All = false);

/// <summary>Answer of <c>GET /v1/admin/outbox</c>: the queue's sizes (shared by every Api instance) and this process's counters.</summary>
public sealed record OutboxStatus(string Store, OutboxCounts Counts, OutboxProcessCounters Process);

/// <summary>What this Api process did since it started.</summary>
public sealed record OutboxProcessCounters(long Enqueued, long EnqueueFailed, long Sent, long Retried, long DeadLettered, long Recovered);

/// <summary>Answer of <c>GET /v1/admin/outbox/dead</c>: dead letters, newest first.</summary>
public sealed record DeadLetterList(long Dead, IReadOnlyList<ResetEmailJob> DeadLetters);

/// <summary>Answer of the replay and purge endpoints.</summary>
public sealed record DeadLetterChange(int Count);

/// <summary>The outbox for operators, behind <see cref="AdminApiKey"/>: sizes, dead letters, replay and purge.</summary>
public static class OutboxAdminEndpoints
{
    public const int MaxListed = 1_000;
    private const int MaxIds = 1_000;

    public static IEndpointRouteBuilder MapOutboxAdmin(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/v1/admin").RequireAdminApiKey().WithGroupName(ApiDocuments.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);

        admin.MapGet("/outbox", async (IOutboxMonitor monitor, IOutbox store, CancellationToken ct) =>
        {
            var s = monitor.Statistics;
            return Results.Ok(new OutboxStatus(StoreName(store), await monitor.GetCountsAsync(ct),
                new OutboxProcessCounters(s.Enqueued, s.EnqueueFailed, s.Sent, s.Retried, s.DeadLettered, s.Recovered)));
        }).Produces<OutboxStatus>();

        admin.MapGet("/outbox/dead", async (string? max, IOutboxMonitor monitor, CancellationToken ct) =>
        {
            var limit = 100;
            if (max is not null && (!int.TryParse(max, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxListed))
                return Problems.Invalid($"max must be a whole number from 1 to {MaxListed} (was '{max}').");
            var counts = await monitor.GetCountsAsync(ct);
            return Results.Ok(new DeadLetterList(counts.Dead, await monitor.GetDeadLettersAsync(limit, ct)));
        }).Produces<DeadLetterList>().ProducesProblem(StatusCodes.Status400BadRequest);

        admin.MapPost("/outbox/dead/replay", (DeadLetterSelection? selection, IOutboxMonitor monitor, CancellationToken ct)
            => ChangeAsync(selection, ids => monitor.ReplayDeadLettersAsync(ids, ct)))
            .Produces<DeadLetterChange>().ProducesProblem(StatusCodes.Status400BadRequest);

        admin.MapPost("/outbox/dead/purge", (DeadLetterSelection? selection, IOutboxMonitor monitor, CancellationToken ct)
            => ChangeAsync(selection, ids => monitor.PurgeDeadLettersAsync(ids, ct)))
            .Produces<DeadLetterChange>().ProducesProblem(StatusCodes.Status400BadRequest);

        return endpoints;
    }

    private static async Task<IResult> ChangeAsync(DeadLetterSelection? selection, Func<IReadOnlySet<string>?, Task<int>> change)
    {
        if (Check(selection) is { } problem) return Problems.Invalid(problem);
        var ids = selection!.All ? null : selection.Ids!.ToHashSet(StringComparer.Ordinal);
        return Results.Ok(new DeadLetterChange(await change(ids)));
    }

    private static string? Check(DeadLetterSelection? selection)
    {
        if (selection is null) return "Send {\"ids\": [...]} or {\"all\": true}.";
        var given = selection.Ids is { Count: > 0 };
        if (selection.All == given) return selection.All ? "Give ids or all, not both." : "Send {\"ids\": [...]} (job ids from GET /v1/admin/outbox/dead) or {\"all\": true}.";
        if (!given) return null;
        if (selection.Ids!.Count > MaxIds) return $"At most {MaxIds} ids at once (was {selection.Ids.Count}).";
        foreach (var id in selection.Ids)
        {
            if (id is null || id.Length is 0 or > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return $"ids must be job ids: 1-64 letters, digits, '-' and '_' (was '{id}').";
        }
        return null;
    }

    private static string StoreName(IOutbox store) => store switch
    {
        RedisOutbox => "redis",
        AzureQueueOutbox => "azure-queue",
        _ => "memory",
    };
}
