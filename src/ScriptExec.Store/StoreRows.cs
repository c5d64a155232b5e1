namespace ScriptExec.Store;

// Small rows several queries read. Records rather than tuples: the build-time mapper (Dapper.AOT) binds columns to
// members by name, and a tuple's element names are not column names.

/// <summary>One instance's key, from columns <c>script_name</c> and <c>instance_name</c>.</summary>
internal sealed record InstanceKeyRow(string ScriptName, string InstanceName);

/// <summary>A secret's name and value, from columns <c>name</c> and <c>value</c>.</summary>
internal sealed record SecretRow(string Name, string Value);

/// <summary>A secret's name and its instance, from columns <c>script_name</c>, <c>instance_name</c> and <c>name</c>.</summary>
internal sealed record SecretNameRow(string ScriptName, string InstanceName, string Name);
