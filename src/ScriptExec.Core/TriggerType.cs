namespace ScriptExec.Core;

/// <summary>What started or stopped an execution.</summary>
public enum TriggerType
{
    Manual,
    Xpath,
    Schedule,
    System,

    /// <summary>A restart policy started the instance again; the setting is the previous execution's id.</summary>
    Restart,
}
