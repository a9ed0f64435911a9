using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Orleans logs grain ids at Debug and Trace, on every activation, lookup and message, and the
/// product's grain keys are email addresses and client addresses. So whatever level a host's
/// logging configuration (or a provider's own filter) asks for, Orleans' categories log from
/// Information up; a stricter level configured for them stays.
/// </summary>
internal sealed class OrleansLogFloor : IPostConfigureOptions<LoggerFilterOptions>
{
    private const string Category = "Orleans";

    public static void AddTo(IServiceCollection services)
        => services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<LoggerFilterOptions>, OrleansLogFloor>());

    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        var rules = options.Rules;
        var floors = new List<LoggerFilterRule>();
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (rule.LogLevel is >= LogLevel.Information) continue;
            if (rule.CategoryName?.StartsWith(Category, StringComparison.Ordinal) == true)
                rules[i] = new LoggerFilterRule(rule.ProviderName, rule.CategoryName, LogLevel.Information, rule.Filter);
            else if (rule.CategoryName is null || Category.StartsWith(rule.CategoryName, StringComparison.Ordinal))
                floors.Add(new LoggerFilterRule(rule.ProviderName, Category, LogLevel.Information, null)); // more specific than the rule it floors
        }
        if (options.MinLevel < LogLevel.Information) floors.Add(new LoggerFilterRule(null, Category, LogLevel.Information, null));
        // First, so that a rule configured for the same provider and category (now at Information or above) wins the tie.
        foreach (var floor in floors) rules.Insert(0, floor);
    }
}
