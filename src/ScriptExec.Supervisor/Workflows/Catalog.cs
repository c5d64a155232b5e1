using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor.Workflows;

/// <summary>Lookups every workflow shares, with the not-found errors worded once.</summary>
public static class Catalog
{
    public static ScriptExecException ScriptMissing(string name) =>
        new(ErrorKind.NotFound, $"script '{name}' does not exist");

    public static ScriptExecException InstanceMissing(string scriptName, string instanceName) =>
        new(ErrorKind.NotFound, $"instance '{instanceName}' of script '{scriptName}' does not exist");

    public static ScriptDefinition RequireScript(ScriptStore scripts, string name) =>
        scripts.GetScript(name) ?? throw ScriptMissing(name);

    /// <summary>The instance, secret values masked; not found when it or its script is missing, conflict when it does not load.</summary>
    public static InstanceDefinition RequireInstance(ScriptStore scripts, string scriptName, string instanceName)
    {
        RequireScript(scripts, scriptName);
        return scripts.GetInstance(scriptName, instanceName) ?? throw InstanceMissing(scriptName, instanceName);
    }
}
