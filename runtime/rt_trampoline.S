/*
 * polus_rt_trampoline — how polus-apply calls a function of the runtime in a hijacked
 * thread (injector/remote_syscall.h, rs_fncall). Entered with %rax = the function,
 * %rdi..%r9 = its arguments, %rsp = the slot under an rt_sigreturn frame that holds the
 * thread's own context. Calls the function on an aligned stack below the frame, then
 * issues rt_sigreturn on that frame with the result in %rdi, where the injector reads it
 * at the call's entry stop. The thread needs no tracer to get back to its own code.
 * The injector checks these exact bytes (remote_syscall.c, tramp_code): change both.
 */
	.text
	.globl	polus_rt_trampoline
	.type	polus_rt_trampoline, @function
	.p2align 4
polus_rt_trampoline:
	mov	%rsp, %rbx	/* callee-saved: where the frame is */
	and	$-16, %rsp	/* the call wants a 16-byte aligned stack */
	call	*%rax
	mov	%rbx, %rsp
	add	$8, %rsp	/* rt_sigreturn reads its frame at %rsp - 8 */
	mov	%rax, %rdi	/* the result, for the injector */
	mov	$15, %eax	/* __NR_rt_sigreturn */
	syscall
	ud2
	.size	polus_rt_trampoline, .-polus_rt_trampoline
	.section .note.GNU-stack,"",@progbits
