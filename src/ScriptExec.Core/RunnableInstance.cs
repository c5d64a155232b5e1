namespace ScriptExec.Core;

/// <summary>What a start needs, read in one query: the script's current source and the instance with its secret values.</summary>
public sealed record RunnableInstance(ScriptDefinition Script, InstanceDefinition Instance);
