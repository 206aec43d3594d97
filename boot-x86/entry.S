/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpart_enter: last code a partition CPU runs on behalf of the boot kernel.
 *
 * Called from the park loop with interrupts off:
 *	%rdi	CR3: partition identity page table (maps this code too)
 *	%rsi	entry point, physical
 *	%rdx	argument for the new kernel, passed in %rsi
 *	%rcx	stack top, physical
 *	%r8	gdtr, physical; the idtr follows 16 bytes later
 *
 * Leaves the CPU in the state the 64-bit boot protocol asks for: long mode,
 * identity-mapped paging, CS = 0x10 and data segments = 0x18 in a flat GDT,
 * interrupts off, %rsi = boot_params. Global and PCID-tagged translations of
 * the boot kernel are flushed so none survive into the new kernel.
 */
#include <linux/linkage.h>
#include <asm/processor-flags.h>
#include <asm/unwind_hints.h>

	.text
	.balign	64
SYM_CODE_START(kpart_enter)
	UNWIND_HINT_END_OF_STACK
	ANNOTATE_NOENDBR
	cli
	movq	%rsi, %r9
	movq	%rdx, %r10

	movq	%rdi, %cr3
	movq	%cr4, %rax
	andq	$~(X86_CR4_PGE | X86_CR4_PCIDE), %rax
	movq	%rax, %cr4

	movq	%rcx, %rsp
	lgdt	(%r8)
	lidt	16(%r8)
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs

	/*
	 * CS keeps selector 0x10, the boot kernel's 64-bit code segment,
	 * which is what the new GDT has there too; the new kernel reloads it.
	 */
	movq	%r10, %rsi
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	jmpq	*%r9
SYM_CODE_END(kpart_enter)
	.globl	kpart_enter_end
kpart_enter_end:
