/**
 * A short name for a device from its User-Agent ("Chrome on Android", "WeChat on iPhone"), so a
 * person can tell their sessions apart. Only the browser and system families are kept: the full
 * string identifies a device too closely to be worth storing.
 */
export function deviceLabelFrom(userAgent: string | undefined): string {
  if (!userAgent) return 'unknown device';
  const ua = userAgent.slice(0, 1000);
  const browser =
    /MicroMessenger/i.test(ua) ? 'WeChat'
    : /AlipayClient/i.test(ua) ? 'Alipay'
    : /Edg(e|A|iOS)?\//.test(ua) ? 'Edge'
    : /OPR\/|Opera/.test(ua) ? 'Opera'
    : /Firefox\/|FxiOS/.test(ua) ? 'Firefox'
    : /Chrome\/|CriOS/.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari'
    : /curl\//i.test(ua) ? 'curl'
    : undefined;
  const system =
    /iPhone/.test(ua) ? 'iPhone'
    : /iPad/.test(ua) ? 'iPad'
    : /HarmonyOS|OpenHarmony/i.test(ua) ? 'HarmonyOS'
    : /Android/.test(ua) ? 'Android'
    : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /CrOS/.test(ua) ? 'ChromeOS'
    : /Linux/.test(ua) ? 'Linux'
    : undefined;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'other device';
}
