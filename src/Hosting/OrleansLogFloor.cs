using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Orleans logs grain ids at Debug and Trace, on every activation, lookup and message, and the
/// product's grain keys are email addresses and client addresses. So whatever level a host's
/// logging configuration (or a provider's own filter) asks for, Orleans' categories log from
/// Information up: every rule that would let them lower gets a rule after it, as specific, that stops
/// at Information.
/// </summary>
internal sealed class OrleansLogFloor : IPostConfigureOptions<LoggerFilterOptions>
{
    private const string Category = "Orleans";

    public static void AddTo(IServiceCollection services)
        => services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<LoggerFilterOptions>, OrleansLogFloor>());

    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        var floors = options.Rules
            .Where(rule => rule.LogLevel is null or < LogLevel.Information && CoversOrleans(rule.CategoryName))
            .Select(rule => new LoggerFilterRule(rule.ProviderName, IsOrleans(rule.CategoryName) ? rule.CategoryName : Category, LogLevel.Information, null))
            .Append(new LoggerFilterRule(null, Category, LogLevel.Information, null))
            .ToList();
        foreach (var floor in floors) options.Rules.Add(floor);
    }

    private static bool IsOrleans(string? category) => category?.StartsWith(Category, StringComparison.Ordinal) == true;

    private static bool CoversOrleans(string? category) => category is null || IsOrleans(category) || Category.StartsWith(category, StringComparison.Ordinal);
}
