using System.CommandLine;
using System.CommandLine.Parsing;

namespace ThrottleCluster.Cli;

/// <summary>Arguments and options with a fixed set of values; a wrong one is named on one line, with the choices.</summary>
public static class Choices
{
    public static Argument<string> Argument(string name, IReadOnlyList<string> choices)
    {
        var argument = new Argument<string>(name) { Description = string.Join('|', choices) };
        argument.Validators.Add(result => Check(name, result.GetValueOrDefault<string>(), choices, result));
        return argument;
    }

    public static void Restrict(Option<string> option, params string[] choices)
        => option.Validators.Add(result => Check(option.Name, result.GetValueOrDefault<string>(), choices, result));

    private static void Check(string name, string value, IReadOnlyList<string> choices, SymbolResult result)
    {
        if (!choices.Contains(value)) result.AddError($"{name}: '{value}' is not one of {string.Join(", ", choices)}");
    }
}
