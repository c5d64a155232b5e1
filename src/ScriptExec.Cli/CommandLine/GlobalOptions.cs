using static ScriptExec.Cli.CommandLine.OptionSpec;

namespace ScriptExec.Cli.CommandLine;

/// <summary>The options every command accepts, before or after the command word.</summary>
internal static class GlobalOptions
{
    public const string Socket = "socket";
    public const string Url = "url";
    public const string Token = "token";
    public const string TokenFile = "token-file";
    public const string DataDir = "data-dir";
    public const string Json = "json";
    public const string Help = "help";
    public const string Version = "version";

    public static readonly IReadOnlyList<OptionSpec> Specs =
    [
        Value(Socket), Value(Url), Value(Token), Value(TokenFile), Value(DataDir), Flag(Json), Flag(Help, "h"), Flag(Version),
    ];
}
