using System.CommandLine;
using System.Globalization;

namespace ThrottleCluster.Cli;

/// <summary>An option taking a whole number within a range; anything else is a usage error naming the option and the value.</summary>
public static class WholeNumberOption
{
    public static Option<int> Create(string name, string description, int min, int max, int defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
            result.AddError($"{name}: '{text}' is not a whole number from {min} to {max}");
            return default;
        },
    };
}
