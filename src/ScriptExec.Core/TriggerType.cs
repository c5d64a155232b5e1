namespace ScriptExec.Core;

/// <summary>What started or stopped an execution.</summary>
public enum TriggerType
{
    Manual,
    Xpath,
    Schedule,
    System,
}
