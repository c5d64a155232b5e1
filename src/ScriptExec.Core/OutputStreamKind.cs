namespace ScriptExec.Core;

/// <summary>Which stream a captured line came from.</summary>
public enum OutputStreamKind
{
    Stdout = 1,
    Stderr = 2,
}
