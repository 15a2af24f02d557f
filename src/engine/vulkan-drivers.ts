// Which Vulkan drivers the loader would offer Dawn (ONNX Runtime's WebGPU provider on Linux), and
// keeping the software ones away from `auto`.
//
// Why here and not from ORT: onnxruntime-node does not say which adapter Dawn picked, and Dawn
// falls back to a CPU adapter such as Mesa's lavapipe when no GPU driver works. A machine can
// have a render node and lavapipe at once (a GPU without a Vulkan driver, a VM's virtio-gpu), and
// then `auto` would pick a "GPU" many times slower than onnx-cpu. The Vulkan loader reads its
// driver list from JSON manifests; each names the driver library, and the software drivers have
// well-known library names. Restricting the loader to the other manifests (VK_DRIVER_FILES, read
// when Dawn creates its Vulkan instance) makes the choice certain instead of guessed.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface VulkanDriver {
  /** The manifest's path. */
  manifest: string;
  /** The driver library it names (as written: a file name or a path). */
  library: string;
  /** A CPU implementation: Mesa's lavapipe (libvulkan_lvp), SwiftShader, llvmpipe. */
  software: boolean;
}

const SOFTWARE_LIBRARY = /(^|[_-])(lvp|swiftshader|llvmpipe)[._]/i;

/** Where to look: the process environment and home by default; tests give their own. */
export interface VulkanSearch {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** The loader's compiled-in configuration directories. */
  sysconfDirs?: readonly string[];
}

/** The manifest directories the Vulkan loader searches on Linux, in its order (see its LoaderInterfaceArchitecture doc). */
function searchDirs(env: NodeJS.ProcessEnv, home: string, sysconfDirs: readonly string[]): string[] {
  const list = (v: string | undefined, fallback: string) => (v || fallback).split(':').filter(Boolean);
  const config = [env.XDG_CONFIG_HOME || path.join(home, '.config'), ...list(env.XDG_CONFIG_DIRS, '/etc/xdg'), ...sysconfDirs];
  const data = [env.XDG_DATA_HOME || path.join(home, '.local/share'), ...list(env.XDG_DATA_DIRS, '/usr/local/share:/usr/share')];
  return [...new Set([...config, ...data].map((d) => path.join(d, 'vulkan/icd.d')))];
}

function manifestsIn(entry: string): string[] {
  try {
    if (!statSync(entry).isDirectory()) return [entry];
    return readdirSync(entry)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => path.join(entry, f));
  } catch {
    return [];
  }
}

function readDriver(manifest: string): VulkanDriver | undefined {
  try {
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: unknown } };
    const library = json.ICD?.library_path;
    if (typeof library !== 'string') return undefined;
    return { manifest, library, software: SOFTWARE_LIBRARY.test(path.basename(library)) };
  } catch {
    return undefined;
  }
}

/**
 * The drivers the loader would load: VK_DRIVER_FILES (or its older name VK_ICD_FILENAMES) when
 * set, else every manifest in the search directories; plus VK_ADD_DRIVER_FILES.
 */
export function vulkanDrivers({ env = process.env, home = os.homedir(), sysconfDirs = ['/usr/local/etc', '/etc'] }: VulkanSearch = {}): VulkanDriver[] {
  const explicit = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  const entries = explicit ? explicit.split(':').filter(Boolean) : searchDirs(env, home, sysconfDirs);
  const added = (env.VK_ADD_DRIVER_FILES ?? '').split(':').filter(Boolean);
  const manifests = [...new Set([...entries, ...added].flatMap(manifestsIn))];
  return manifests.map(readDriver).filter((d): d is VulkanDriver => d !== undefined);
}

/**
 * For `auto` on Linux: a reason to skip onnx-webgpu when every Vulkan driver installed is a
 * software one; otherwise undefined, after pointing the loader (in `env`, which native code reads
 * when Dawn starts) at the non-software drivers only. With no manifest found at all this says
 * nothing and changes nothing: the loader might know a place this does not, and the probe decides.
 */
export function keepSoftwareVulkanAway(search: VulkanSearch = {}): string | undefined {
  const env = search.env ?? process.env;
  const drivers = vulkanDrivers({ ...search, env });
  const software = drivers.filter((d) => d.software);
  if (software.length === 0) return undefined;
  const hardware = drivers.filter((d) => !d.software);
  if (hardware.length === 0) {
    return `only a software Vulkan driver is installed (${software.map((d) => path.basename(d.library)).join(', ')}): slower than onnx-cpu`;
  }
  const files = hardware.map((d) => d.manifest).join(':');
  env.VK_DRIVER_FILES = files;
  // The loader before 1.3.207 only knows the older name.
  env.VK_ICD_FILENAMES = files;
  delete env.VK_ADD_DRIVER_FILES;
  return undefined;
}
