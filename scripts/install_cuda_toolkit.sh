#!/usr/bin/env bash
# Installs nvcc and the CUDA headers and driver stubs from Debian (CUDA 11.8 on bookworm), which
# is all that building the cuda-tagged binary and the kernel fatbin needs: no GPU, no driver.
# Idempotent: it does nothing when nvcc and cuda.h are already there. Run as root.
set -euo pipefail

if command -v nvcc >/dev/null 2>&1 && [ -f /usr/include/cuda.h ]; then
	echo "CUDA toolkit already installed: $(nvcc --version | tail -n 1)"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive

# The toolkit is in Debian's contrib and non-free components: add each to every Debian source
# that lacks it as a whole word ("non-free-firmware" is not "non-free"), in deb822 .sources files
# and one-line sources.list alike.
has_word() { tr ' ' '\n' <<<"$1" | grep -qx "$2"; }
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	for comp in contrib non-free; do
		while IFS= read -r line; do
			if ! has_word "${line#Components:}" "$comp"; then
				sed -i "s|^${line}\$|${line} ${comp}|" "$f"
			fi
		done < <(grep '^Components:' "$f" | sort -u)
	done
done
if [ -f /etc/apt/sources.list ]; then
	for comp in contrib non-free; do
		while IFS= read -r line; do
			if ! has_word "$line" "$comp"; then
				sed -i "s|^${line}\$|${line} ${comp}|" /etc/apt/sources.list
			fi
		done < <(grep -E '^deb(-src)? .*debian' /etc/apt/sources.list | sort -u)
	done
fi

apt-get update -qq
apt-get install -y -qq --no-install-recommends nvidia-cuda-toolkit nvidia-cuda-dev >/dev/null
echo "installed: $(nvcc --version | tail -n 1)"
