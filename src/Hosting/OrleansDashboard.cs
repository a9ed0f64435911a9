using Orleans.Dashboard;

namespace ThrottleCluster.Hosting;

/// <summary>
/// The Orleans Dashboard (Microsoft.Orleans.Dashboard) on a silo, at <see cref="Path"/>, behind the
/// admin key always (<see cref="OperatorAccess"/>: it shows every grain type, method and silo), and
/// off with <c>Admin:OrleansDashboard=false</c>: it profiles every grain call (BENCHMARKS.md).
/// </summary>
public static class OrleansDashboard
{
    public const string Path = "/orleans-dashboard";
    public const string EnabledKey = "Admin:OrleansDashboard";
    public const string Realm = "Orleans dashboard";

    /// <exception cref="InvalidOperationException"><see cref="EnabledKey"/> is not true or false; the message names it and the value.</exception>
    public static bool IsEnabled(IConfiguration configuration)
    {
        var text = configuration[EnabledKey];
        if (string.IsNullOrWhiteSpace(text)) return true;
        return bool.TryParse(text, out var enabled) ? enabled : throw new InvalidOperationException($"{EnabledKey} must be true or false (was '{text}').");
    }

    public static ISiloBuilder AddThrottleDashboard(this ISiloBuilder silo, IConfiguration configuration)
        => IsEnabled(configuration) ? silo.AddDashboard() : silo;

    /// <summary>Maps the dashboard when it is on; every request under <see cref="Path"/> is checked for the admin key first.</summary>
    public static WebApplication MapThrottleDashboard(this WebApplication app)
    {
        if (!IsEnabled(app.Configuration)) return app;
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Path), guarded => guarded.Use(async (context, next) =>
        {
            if (OperatorAccess.Refusal(context, Realm, openWithoutKeyInDevelopment: false) is { } refusal) await refusal.ExecuteAsync(context);
            else await next(context);
        }));
        app.MapOrleansDashboard(routePrefix: Path);
        return app;
    }
}
