using System.CommandLine;

namespace ThrottleCluster.Cli;

/// <summary>Arguments and options with a fixed set of values; a wrong one is named on one line, with the choices.</summary>
public static class Choices
{
    public static Argument<string> Argument(string name, IReadOnlyList<string> choices, string? description = null)
    {
        var argument = new Argument<string>(name) { Description = description ?? string.Join('|', choices) };
        argument.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!choices.Contains(value)) result.AddError($"{name}: '{value}' is not one of {string.Join(", ", choices)}");
        });
        return argument;
    }

    public static void Restrict(Option<string> option, params string[] choices) => option.Validators.Add(result =>
    {
        var value = result.GetValueOrDefault<string>();
        if (!choices.Contains(value)) result.AddError($"{option.Name}: '{value}' is not one of {string.Join(", ", choices)}");
    });
}
