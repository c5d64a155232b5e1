using System.Text.RegularExpressions;

namespace ScriptExec.Core;

/// <summary>The naming rule shared by scripts and instances: <c>[-a-zA-Z0-9._]{1,100}</c>.</summary>
public static partial class Names
{
    public const int MaxLength = 100;

    public const string Rule = "must match [-a-zA-Z0-9._]{1,100}";

    public static bool IsValid(string? name) =>
        name is not null && name.Length is > 0 and <= MaxLength && NamePattern().IsMatch(name)
        && name is not "." and not "..";

    [GeneratedRegex("^[-a-zA-Z0-9._]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
